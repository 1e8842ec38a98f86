-- The installation's key check: a constant sealed with the secret key the database was set
-- up with. An instance whose key cannot open it refuses to start (instead of sealing new
-- secrets that its peers cannot read). One row.
CREATE TABLE installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_check TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
