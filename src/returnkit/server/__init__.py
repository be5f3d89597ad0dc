"""The mock server: Connexion routing over the bundled 3.1 specs, returnkit's request path
(`pipeline.REQUEST_PATH`) answering every provider and the admin API."""
