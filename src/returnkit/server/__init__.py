"""The mock server (in progress): Connexion routing over the bundled 3.1 specs."""
