"""The baseline: a bare Flask hello-world, served with the same gunicorn configuration as Linli."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return {"hello": "world"}
