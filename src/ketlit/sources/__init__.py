"""Source adapters: fetch (network, via ketlit.http) and parse (pure) for each service."""
