"""The one HTTP client through which the end-to-end tests call the servers they start."""

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

# Made once per test process. `httpx.get` and its siblings build a client per call, and with it
# an SSL context that parses the certificate bundle: tens of milliseconds of CPU per request,
# which every polling loop paid on each try. Like those calls, it keeps nothing between
# requests: no connection (the servers behind these URLs are killed and restarted, sometimes
# on the same port) and no cookie (every server of every test listens on 127.0.0.1).
local = httpx.Client(
    limits=httpx.Limits(max_keepalive_connections=0),
    cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
)
