"""gunicorn's settings for this project (read from the working directory at start).

The app refuses a query string over 4,000 characters with a 400 that says so
(config.middleware); gunicorn's default request-line limit (4,094 bytes,
method and path included) would answer such a request first with a bare 414
that the API's schema does not describe. 8,190 leaves the app to answer.
"""

limit_request_line = 8190
