"""A bare Flask app for the benchmark's yardstick: ``gunicorn bench.hello:app``, served on
the same gunicorn settings as the portal, so each of the portal's figures can be stated as
a fraction of what this machine does for Flask with no work at all."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
