-- The server each run was started on, as host:port, written by whoever
-- writes the run row (segmentd and the refresh procedures). Whether a
-- 'running' run is still alive is judged by that server's named locks and
-- connections, which another node of a cluster (Galera) cannot see: the
-- closers of dead runs leave runs of other servers alone. NULL (rows from
-- before this, and rows other clients write) counts as this server's, as
-- before.
ALTER TABLE pipeline_runs ADD COLUMN server_node VARCHAR(255) NULL;
