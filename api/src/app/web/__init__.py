"""The web pages: server-rendered HTML over the same services the API calls."""
