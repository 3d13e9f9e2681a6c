-- File names are stored losslessly: bytes that are not valid UTF-8 (and
-- control characters) are escaped as \xNN and a backslash as \\ (README
-- "Ingest"), which can make a name up to four times longer than its bytes.
ALTER TABLE ingested_files MODIFY original_name VARCHAR(8192) NOT NULL;
