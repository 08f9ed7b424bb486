"""The wire format: requests as the adapter protocol writes them, answers as read.

Theory of operation
-------------------
Every request the runner sends is built here, once, as its JSON text
(runner/PROTOCOL.md): a request text is shared by every target it goes to,
and two equal texts to one target are asked once.  `Target.dump`/`load`
(runner/targets.py) and the checks (runner/checks.py, runner/judges/) use
the same builders.

`outcome_of` reads an answer -- the adapter's answer dict, or the
`AdapterFailure` the request met -- into one word and a detail.  Whether a
rejection is clean is the runner's judgement, made here from the answer's
``exception`` (and ``exception_bases``) against the target's profile
(`Profile.is_clean`); the words are:

==================  =========================================================
``ok``              the request succeeded
``rejected``        refused, with one of the target's clean exceptions
``unclean``         refused, with any other exception
``unsupported``     the adapter does not do this
``unpicklable``     a dump refused the object
``unavailable``     the object cannot exist in the implementation
``undescribable``   loaded, but the result has no tagged-JSON form
``adapter``         the adapter failed (``internal``, ``protocol``, unknown kind)
``crash`` ...       an `AdapterFailure`: crash, timeout, protocol-error
==================  =========================================================
"""

import json

from picklespec.process import AdapterFailure
from picklespec.reference import model

__all__ = ["wire_options", "load_message", "dump_message", "load_text", "dump_text",
           "data_text", "outcome_of", "hex_of"]


def hex_of(data):
    """A stream in the protocol's form: lowercase hex (bytes, or hex already)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data).hex()
    return data


def wire_options(options):
    """Case options in the protocol's form: every value a string, bytes as tagged JSON."""
    out = {}
    for name, value in (options or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif name == "buffers":
            value = [b if isinstance(b, dict) else model.to_json(b) for b in value]
        out[name] = value
    return out


def load_message(data, options=None):
    """The load request for a stream, as a dict."""
    message = {"op": "load", "data": hex_of(data)}
    if options:
        message["options"] = options
    return message


def dump_message(value, protocol, options=None):
    """The dump request for a model value, as a dict."""
    message = {"op": "dump", "protocol": protocol, "object": model.to_json(value)}
    if options:
        message["options"] = options
    return message


def load_text(data, options=None):
    """The load request for a stream (bytes, or their hex) with wire options, as text."""
    if options:
        return '{"op": "load", "data": "%s", "options": %s}' % (
            hex_of(data), json.dumps(options, sort_keys=True))
    return '{"op": "load", "data": "%s"}' % hex_of(data)


def dump_text(protocol, object_text, options=None):
    """The dump request for an object given as tagged-JSON text, as text."""
    return '{"op": "dump", "protocol": %d, %s"object": %s}' % (
        protocol, '"options": %s, ' % json.dumps(options, sort_keys=True) if options else "",
        object_text)


def data_text(op, data):
    """A parse, scan or transform request for a stream, as text."""
    return '{"op": "%s", "data": "%s"}' % (op, hex_of(data))


def outcome_of(answer, profile=None):
    """How an answer came out: (word, detail); see the table above.

    With no profile (a target whose hello is not read), a rejection is clean
    unless the answer says ``"clean": false``.
    """
    if isinstance(answer, AdapterFailure):
        return answer.kind, answer.message
    if answer.get("ok"):
        return "ok", ""
    kind = answer.get("kind")
    message = str(answer.get("message") or answer.get("exception") or kind)
    if kind == "rejected":
        clean = profile.is_clean(answer) if profile is not None else answer.get("clean", True)
        return ("rejected" if clean else "unclean"), message
    if kind in ("unsupported", "unpicklable", "unavailable", "undescribable"):
        return kind, message
    return "adapter", "the adapter failed: %s" % message
