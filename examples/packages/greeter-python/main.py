"""A robotbridge process in Python (see docs/processes.md).

The first line on stdin carries the input arguments; every line this
process prints as a JSON object is a message to the robot.
"""
import json
import platform
import sys


def send(**message):
    print(json.dumps(message), flush=True)


def main():
    first = json.loads(sys.stdin.readline())
    args = first["arguments"]
    name = args["name"]
    times = int(args.get("times") or 1)
    if times < 1:
        send(type="error", message="times must be at least 1", errorType="BadInput")
        return 1

    print("plain output is fine: it is not a message")
    for i in range(times):
        send(type="status", text=f"Greeting {i + 1} of {times}")
        send(type="event", name="greeted", payload=str(i + 1))

    send(type="output", arguments={
        "greeting": ", ".join([f"Hello, {name}!"] * times),
        "language": "Python " + platform.python_version(),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
