"""The ceiling for the receiver: a Flask route that reads the same request and answers as the
receiver does, doing nothing else, under the identical gunicorn configuration."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.post("/connect/callbacks/sync")
def callback():
    request.get_data()
    return jsonify(status="recorded")
