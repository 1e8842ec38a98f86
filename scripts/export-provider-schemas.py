#!/usr/bin/env python3
"""Exports the ElevenLabs wire models voxdial speaks as JSON Schemas, taken from the
provider's own Python SDK (PyPI package `elevenlabs`), so tests can check voxdial's
payloads against the provider's models instead of against our reading of the docs.

Run from the repository root (Python >= 3.11, needs to reach PyPI):

    python3 scripts/export-provider-schemas.py            # writes tests/provider_schemas/
    python3 scripts/export-provider-schemas.py --out DIR  # somewhere else

The pin lives in this file: SDK_VERSION (and PYDANTIC_VERSION, since the schema text
depends on pydantic's generator too). To move to a newer SDK, change SDK_VERSION, run the
script, and review the diff of tests/provider_schemas/.

What it does: `pip install --target <tmp> elevenlabs==SDK_VERSION pydantic==PYDANTIC_VERSION`
into a throwaway directory (nothing is installed into the running interpreter), imports
the SDK's pydantic v2 models from there, and writes one draft 2020-12 JSON Schema per model
(`Model.model_json_schema(mode="validation")`, or `TypeAdapter(T).json_schema()` for a
list or union), pretty-printed with sorted keys, plus README.md listing every file.
The two outbound-call request bodies have no class in the SDK (its raw clients take them
as keyword arguments), so their models are built from those methods' signatures.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import shutil
import subprocess
import sys
import tempfile
import typing
from pathlib import Path

SDK_VERSION = "2.78.0"
PYDANTIC_VERSION = "2.14.4"

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tests" / "provider_schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# (file, SDK name as it appears in the README, what voxdial uses it for, how to build it).
# "how" is ("model", "module:Class"), ("list", "module:Alias") or
# ("body", "module:Class.method", "NameOfTheBuiltModel").
SCHEMAS = [
    (
        "get_conversation_response.schema.json",
        "elevenlabs.types.GetConversationResponseModel",
        "`data` of the `post_call_transcription` webhook, and the answer of "
        "`GET /v1/convai/conversations/{id}` (the reconciler)",
        ("model", "elevenlabs.types:GetConversationResponseModel"),
    ),
    (
        "conversation_initiation_client_data.schema.json",
        "elevenlabs.types.ConversationInitiationClientDataRequestInput",
        "`conversation_initiation_client_data`: what voxdial answers the inbound "
        "conversation-initiation webhook with, and the same field inside the outbound-call bodies",
        ("model", "elevenlabs.types:ConversationInitiationClientDataRequestInput"),
    ),
    (
        "twilio_outbound_call_request.schema.json",
        "TwilioOutboundCallRequestBody, built from "
        "elevenlabs.conversational_ai.twilio.raw_client.RawTwilioClient.outbound_call",
        "body voxdial POSTs to `/v1/convai/twilio/outbound-call`",
        ("body", "elevenlabs.conversational_ai.twilio.raw_client:RawTwilioClient.outbound_call",
         "TwilioOutboundCallRequestBody"),
    ),
    (
        "twilio_outbound_call_response.schema.json",
        "elevenlabs.types.TwilioOutboundCallResponse",
        "answer of `POST /v1/convai/twilio/outbound-call` (`callSid`)",
        ("model", "elevenlabs.types:TwilioOutboundCallResponse"),
    ),
    (
        "sip_trunk_outbound_call_request.schema.json",
        "SipTrunkOutboundCallRequestBody, built from "
        "elevenlabs.conversational_ai.sip_trunk.raw_client.RawSipTrunkClient.outbound_call",
        "body voxdial POSTs to `/v1/convai/sip-trunk/outbound-call`",
        ("body", "elevenlabs.conversational_ai.sip_trunk.raw_client:RawSipTrunkClient.outbound_call",
         "SipTrunkOutboundCallRequestBody"),
    ),
    (
        "sip_trunk_outbound_call_response.schema.json",
        "elevenlabs.types.SipTrunkOutboundCallResponse",
        "answer of `POST /v1/convai/sip-trunk/outbound-call` (`sip_call_id`)",
        ("model", "elevenlabs.types:SipTrunkOutboundCallResponse"),
    ),
    (
        "get_agents_page_response.schema.json",
        "elevenlabs.types.GetAgentsPageResponseModel",
        "answer of `GET /v1/convai/agents` (cursor pages; connection check and agent sync)",
        ("model", "elevenlabs.types:GetAgentsPageResponseModel"),
    ),
    (
        "get_agent_response.schema.json",
        "elevenlabs.types.GetAgentResponseModel",
        "answer of `GET /v1/convai/agents/{id}` (voxdial reads `agent_id` and `name`)",
        ("model", "elevenlabs.types:GetAgentResponseModel"),
    ),
    (
        "phone_numbers_list_response.schema.json",
        "List[elevenlabs.conversational_ai.phone_numbers.types.PhoneNumbersListResponseItem] "
        "(a union of PhoneNumbersListResponseItem_Twilio, _Exotel and _SipTrunk)",
        "answer of `GET /v1/convai/phone-numbers`: a bare array",
        ("list", "elevenlabs.conversational_ai.phone_numbers.types.phone_numbers_list_response_item"
                 ":PhoneNumbersListResponseItem"),
    ),
]

NOTES = """\
## Notes

- Webhook models: the SDK has **no** model for the webhook envelope (`{type, event_timestamp,
  data}`), for the `call_initiation_failure` `data`, nor for the `post_call_audio` `data`
  (searched: `call_initiation_failure` appears only as a value of `WebhookEventType` and in
  `ConvAiWebhooks`' docstring; `post_call_audio` only as on-prem webhook URL settings in
  `conversational_ai/conversation.py`; no model has a `full_audio` field, and
  `failure_reason` is only a field of music and media-generation models). Those payloads
  cannot be checked against the SDK; the `post_call_transcription` `data` is the
  `GetConversationResponseModel` above.
- Request bodies: the SDK has no class for the outbound-call bodies; `RawTwilioClient` and
  `RawSipTrunkClient`'s `outbound_call(*, agent_id, agent_phone_number_id, to_number, ...)`
  take them as keyword arguments and send them as JSON. The script builds a pydantic model
  from each signature (same names, same annotations; the SDK's `OMIT` defaults become
  optional fields), so these two files are derived from the SDK, not copied from a class.
- Every SDK model is `extra="allow"`, so every object schema says `"additionalProperties": true`:
  the schemas never reject an unknown field. Missing required fields and wrong types are
  what they catch.
- Schemas are pydantic's *validation* mode: a field with a default is optional; optional
  fields are `anyOf [T, {"type": "null"}]` (no OpenAPI `nullable`).
- Open enums: Fern types many enums as `Union[Literal[...], Any]`, which becomes
  `anyOf [{"enum": [...]}, {}]`; such a field accepts any value.
- Some `$defs` are recursive (in the agent and conversation schemas: workflow tool
  results, AST nodes, JSON-schema property models); validators must follow `$ref` cycles.
- Fern's tagged unions (e.g. the phone-number items, tagged by `provider`) carry their tag
  only in `UnionMetadata`, which pydantic ignores: they are plain `anyOf`s, with a `const`
  on the tag field of each variant, and no `discriminator` keyword.
- No model failed to produce a schema with pydantic {pydantic}.
- Every file has `$schema` (draft 2020-12) and a `$comment` naming its source; internal
  references are `#/$defs/...`.
"""


TESTS = """\
## Tests that use them

`tests/api/provider_schemas.rs` compiles each file once (a `std::sync::LazyLock` per
schema, with the `jsonschema` crate) and checks what voxdial, its demo simulator and its
test fake send and answer. A failure lists every violation by instance path, with each
variant's reasons when an `anyOf` fails (e.g. which phone-call type was expected).

| file | static in provider_schemas.rs | checked there |
| --- | --- | --- |
| `get_conversation_response.schema.json` | `CONVERSATION` | the simulator's `post_call_transcription` `data` in every scenario (Twilio and SIP trunk) and its `GET /v1/convai/conversations/{id}` answers (in progress, done, failed); `call_setup::transcription`'s `data` and `fake_provider::conversation` (the reconciler's fixtures) |
| `conversation_initiation_client_data.schema.json` | `CLIENT_DATA` | the `conversation_initiation_client_data` in voxdial's outbound-call bodies; `assert_initiation_answer(&answer)` for the answer to the inbound conversation-initiation webhook |
| `twilio_outbound_call_request.schema.json` | `TWILIO_CALL_REQUEST` | what `elevenlabs::Client` POSTs for a Twilio number, with and without a prompt override |
| `twilio_outbound_call_response.schema.json` | `TWILIO_CALL_RESPONSE` | the simulator's and the fake's answers to a Twilio call |
| `sip_trunk_outbound_call_request.schema.json` | `SIP_CALL_REQUEST` | what `elevenlabs::Client` POSTs for a SIP-trunk number, with and without a prompt override |
| `sip_trunk_outbound_call_response.schema.json` | `SIP_CALL_RESPONSE` | the simulator's and the fake's answers to a SIP-trunk call |
| `get_agents_page_response.schema.json` | `AGENTS_PAGE` | every page of the simulator's and the fake's agent lists |
| `get_agent_response.schema.json` | `AGENT` | the simulator's and the fake's agent by id |
| `phone_numbers_list_response.schema.json` | `PHONE_NUMBERS` | the simulator's number list; the fake's (`fake_provider::twilio_number`, `sip_number`) |

The schemas cannot say everything (unknown fields are allowed, many enums are open, and
`call_initiation_failure` has no SDK model), so the same tests also check by hand: the
webhook `type`s and `event_timestamp`, the signature, `phone_call.type` against the
endpoint used (`twilio` or `sip_trunking`), the numbers and call sid against the call,
the echo of `voxdial_interaction_id` in `dynamic_variables`, the documented
`call_initiation_failure` shape (`failure_reason`, `metadata.type` `twilio` or `sip`),
and, in what voxdial sends, scalar dynamic variables and no `system__` names.
"""


def install(target: Path) -> None:
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-compile", "--no-warn-conflicts", "--root-user-action=ignore", "--only-binary=:all:", "--target", str(target),
        f"elevenlabs=={SDK_VERSION}", f"pydantic=={PYDANTIC_VERSION}",
    ]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)


def resolve(spec: str) -> typing.Any:
    module, _, attr = spec.partition(":")
    value: typing.Any = importlib.import_module(module)
    for part in attr.split("."):
        value = getattr(value, part)
    return value


def body_model(method: typing.Callable[..., typing.Any], name: str) -> type:
    """A pydantic model for the JSON body a raw-client method sends, from its signature."""
    from elevenlabs.core.unchecked_base_model import UncheckedBaseModel
    import pydantic

    hints = typing.get_type_hints(method)
    fields: dict[str, typing.Any] = {}
    for param in inspect.signature(method).parameters.values():
        if param.name in ("self", "request_options"):
            continue
        # Keyword-only without a default: required. The SDK's OMIT default (an alias of `...`)
        # marks an optional field, left out of the body when unset.
        required = param.default is inspect.Parameter.empty
        fields[param.name] = (hints[param.name], ... if required else None)
    doc = f"Body of {method.__qualname__} (elevenlabs=={SDK_VERSION}), built from its signature."
    return pydantic.create_model(name, __base__=UncheckedBaseModel, __doc__=doc, **fields)


def schema_for(how: tuple[str, ...]) -> dict[str, typing.Any]:
    import pydantic

    kind, spec, *name = how
    obj = resolve(spec)
    if kind == "model":
        return obj.model_json_schema(mode="validation")
    if kind == "list":
        return pydantic.TypeAdapter(typing.List[obj]).json_schema(mode="validation")
    if kind == "body":
        return body_model(obj, name[0]).model_json_schema(mode="validation")
    raise ValueError(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="elevenlabs-sdk-"))
    try:
        install(tmp)
        sys.path.insert(0, str(tmp))
        import pydantic  # noqa: F401  (from tmp, ahead of anything installed globally)

        assert Path(pydantic.__file__).is_relative_to(tmp), pydantic.__file__
        import elevenlabs.version

        assert elevenlabs.version.__version__ == SDK_VERSION, elevenlabs.version.__version__

        args.out.mkdir(parents=True, exist_ok=True)
        rows = []
        for file, sdk_name, use, how in SCHEMAS:
            schema = schema_for(how)
            schema["$schema"] = DRAFT
            schema["$comment"] = (
                f"Generated by scripts/export-provider-schemas.py from elevenlabs=={SDK_VERSION} "
                f"({sdk_name}) with pydantic=={pydantic.VERSION}. Do not edit."
            )
            text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            (args.out / file).write_text(text, encoding="utf-8")
            rows.append(f"| `{file}` | {sdk_name} | {use} |")
            print(f"wrote {args.out / file} ({len(text)} bytes)", file=sys.stderr)

        readme = "\n".join([
            "# Provider schemas",
            "",
            f"JSON Schemas (draft 2020-12) of ElevenLabs' own models, exported from the official "
            f"Python SDK **`elevenlabs=={SDK_VERSION}`** (PyPI) with pydantic {pydantic.VERSION} by "
            f"`scripts/export-provider-schemas.py`. Generated files: do not edit; to update, change "
            f"`SDK_VERSION` in that script and run `python3 scripts/export-provider-schemas.py`.",
            "",
            "| file | SDK model | what voxdial uses it for |",
            "| --- | --- | --- |",
            *rows,
            "",
            NOTES.replace("{pydantic}", pydantic.VERSION),
            TESTS,
        ])
        (args.out / "README.md").write_text(readme, encoding="utf-8")
        print(f"wrote {args.out / 'README.md'}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
