"""Where the data lands: the PostgreSQL server, its bootstrap, roles and the COPY loader."""
