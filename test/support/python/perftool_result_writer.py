# Publishes one perftool result the way the Pi runner does: SINETStream's MessageWriter(service="perf-result",
# value_type=TEXT).publish(json text). Runs in the working directory that holds the files `npm run pi-config` wrote.
#
#   python perftool_result_writer.py config-file RESULT_JSON
#       uses .sinetstream_config.yml as written.
#   python perftool_result_writer.py runner-env RESULT_JSON
#       reads .env.perftool as docker compose passes it to the runner's environment, rebuilds the service with the
#       runner's conversion (original runner's scripts/parseargs.py: prefix PERF_RST_, rest lower-cased, "__"
#       nests keys, text with a dot that float() accepts becomes a float, else text int() accepts becomes an int,
#       anything else stays text) and writes it to .sinetstream_config.yml as JSON, as the runner does.
#
# Prints one JSON line: the tstamp (µs) SINETStream put in the message and the service parameters it used.
import json
import sys
from pathlib import Path

import sinetstream
import sinetstream.api

PREFIX = "PERF_RST_"


def compose_env_file(text):
    """The subset of docker compose's env_file syntax pi-config writes: KEY=value and KEY='literal value'."""
    env = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
            value = value[1:-1]
        env[key] = value
    return env


def runner_value(text):
    if "." in text:
        try:
            return float(text)
        except ValueError:
            pass
    try:
        return int(text)
    except ValueError:
        return text


def runner_service(env, prefix=PREFIX):
    service = {"type": "kafka"}
    for name, text in env.items():
        if not name.startswith(prefix):
            continue
        *parents, leaf = name[len(prefix):].lower().split("__")
        node = service
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = runner_value(text)
    return service


def main(mode, result_json):
    if mode == "runner-env":
        service = runner_service(compose_env_file(Path(".env.perftool").read_text()))
        Path(".sinetstream_config.yml").write_text(json.dumps({"perf-result": service}))
    elif mode != "config-file":
        raise SystemExit(f"unknown mode {mode}")

    # Record the tstamp SINETStream puts into the message (it takes the clock itself when publish() gets none).
    sent = []
    to_bytes = sinetstream.api.BaseMessageWriter._to_bytes

    def recording_to_bytes(self, msg, tstamp):
        sent.append(tstamp)
        return to_bytes(self, msg, tstamp)

    sinetstream.api.BaseMessageWriter._to_bytes = recording_to_bytes
    with sinetstream.MessageWriter(service="perf-result", value_type=sinetstream.TEXT) as writer:
        writer.publish(result_json)
        params = {k: v for k, v in writer.params.items() if "password" not in k} if hasattr(writer, "params") else {}
    print(json.dumps({"tstamp": sent[0], "published": len(sent), "params": params}, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
