-- mlops-lite registry format 4: hashes of blocks of rows, so that verify names the rows of a
-- dataset whose values changed. Datasets bound before format 4 have none.
CREATE TABLE dataset_row_hashes (
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    block INTEGER NOT NULL CHECK (block >= 0),
    block_size INTEGER NOT NULL CHECK (block_size >= 1),
    xxh3 INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, block)
) WITHOUT ROWID;
