#!/usr/bin/env python3
"""Replays the failure queue of a modelwatch stack (issue 11, item 7; docs/runbook.md).

Every asynchronously invoked modelwatch function sends an event it gave up on (after its two
retries, or when the event grew older than its maximum age) to the stack's SQS queue
`FailedInvocationsQueue`, as Lambda's on-failure destination record:

    {"requestContext": {"functionArn": "arn:aws:lambda:REGION:ACCOUNT:function:NAME:$LATEST",
                        "condition": "RetriesExhausted", "approximateInvokeCount": 3, ...},
     "requestPayload": <the original event>,
     "responseContext": {...}, "responsePayload": {"errorType": "...", "errorMessage": "..."}}

After the cause is fixed (docs/runbook.md), this script reads the queue, invokes the function
named by `requestContext.functionArn` again, asynchronously (InvocationType=Event), with the
original `requestPayload`, and deletes a message only once Lambda accepted its invocation. A
message whose invocation is refused, or that is not such a record, stays in the queue (made
visible again at once) and is reported; the exit status is then 1. Replays are safe: every
modelwatch function rewrites the same bytes for the same event.

    source scripts/tools.sh && ensure_venv test          # boto3
    $MW_VENV_test/bin/python scripts/redrive.py --stack my-stack --dry-run
    $MW_VENV_test/bin/python scripts/redrive.py --stack my-stack --max 10
    $MW_VENV_test/bin/python scripts/redrive.py --queue-url https://sqs.../Queue

Credentials and region come from the usual AWS environment (profile, env vars, role). For
emulators: --endpoint-url (both services), or --sqs-endpoint-url and --lambda-endpoint-url.
Exit status: 0 when every message read was redriven (or, with --dry-run, readable), 1 when
some were not, 2 for a usage or setup error (no queue, unreachable service).
"""

import argparse
import json
import sys
from dataclasses import dataclass

import boto3
import botocore.exceptions
from botocore.config import Config

# the logical id of the queue in template.yaml
QUEUE_LOGICAL_ID = "FailedInvocationsQueue"
# SQS returns at most 10 messages per ReceiveMessage
SQS_BATCH = 10


class RedriveError(Exception):
    """A message that cannot be redriven, with the reason."""


@dataclass
class Target:
    """Where one failure record goes back to."""

    function: str  # the function name, as the Invoke API takes it
    qualifier: str | None  # a version or alias; None for $LATEST
    region: str | None  # the function's region, from its ARN
    payload: bytes  # the original event, as JSON

    def describe(self) -> str:
        q = f":{self.qualifier}" if self.qualifier else ""
        return f"{self.function}{q} ({len(self.payload)} bytes)"


def parse_record(body: str) -> Target:
    """The function and event of one on-failure destination record.

    Raises RedriveError naming what is missing or malformed."""
    try:
        record = json.loads(body)
    except json.JSONDecodeError as e:
        raise RedriveError(f"the message body is not JSON ({e}): {body[:120]!r}") from None
    if not isinstance(record, dict):
        raise RedriveError(f"the message body is not a JSON object: {body[:120]!r}")
    ctx = record.get("requestContext")
    arn = ctx.get("functionArn") if isinstance(ctx, dict) else None
    if not isinstance(arn, str):
        raise RedriveError("no requestContext.functionArn: not a Lambda on-failure record")
    if "requestPayload" not in record:
        raise RedriveError(f"no requestPayload in the record of {arn}")
    # arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function" or not parts[6]:
        raise RedriveError(f"requestContext.functionArn {arn!r} is not a Lambda function ARN")
    qualifier = parts[7] if len(parts) == 8 and parts[7] != "$LATEST" else None
    payload = json.dumps(record["requestPayload"], separators=(",", ":")).encode()
    return Target(function=parts[6], qualifier=qualifier, region=parts[3] or None, payload=payload)


def queue_url(args, session) -> str:
    """--queue-url, or the stack's FailedInvocationsQueue through CloudFormation."""
    if args.queue_url:
        return args.queue_url
    cfn = session.client("cloudformation", endpoint_url=args.endpoint_url)
    try:
        res = cfn.describe_stack_resource(StackName=args.stack, LogicalResourceId=QUEUE_LOGICAL_ID)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        print(f"redrive: no {QUEUE_LOGICAL_ID} found for stack {args.stack!r}: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    # the physical id of an AWS::SQS::Queue is its URL
    return res["StackResourceDetail"]["PhysicalResourceId"]


def invoke(lambdas, session, args, target: Target) -> None:
    """Invokes target asynchronously; raises RedriveError unless Lambda accepted it."""
    region = args.region or target.region or session.region_name
    if region not in lambdas:
        lambdas[region] = session.client(
            "lambda",
            region_name=region,
            endpoint_url=args.lambda_endpoint_url or args.endpoint_url,
            # throttling is retried once; a message still refused stays in the queue for the next run
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, read_timeout=args.invoke_timeout),
        )
    kwargs = {"FunctionName": target.function, "InvocationType": "Event", "Payload": target.payload}
    if target.qualifier:
        kwargs["Qualifier"] = target.qualifier
    try:
        res = lambdas[region].invoke(**kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise RedriveError(f"invoke of {target.describe()} refused: {e}") from None
    status = res.get("StatusCode", 0)
    if not 200 <= status < 300 or res.get("FunctionError"):
        detail = res["Payload"].read()[:300] if "Payload" in res else b""
        raise RedriveError(
            f"invoke of {target.describe()} not accepted: status {status}, "
            f"{res.get('FunctionError') or ''} {detail!r}"
        )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description="Replay the failed invocations of a modelwatch stack from its SQS failure queue.",
        epilog="See docs/runbook.md: fix the cause first, then --dry-run, then redrive.",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--queue-url", help="the failure queue's URL")
    where.add_argument("--stack", help="the stack name: its FailedInvocationsQueue is looked up")
    p.add_argument("--max", type=int, default=None, metavar="N", help="redrive at most N messages (default: all)")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be invoked; invoke and delete nothing (messages are made visible again)")
    p.add_argument("--region", help="region of the queue and the stack (default: the session's); functions are invoked in their ARN's region unless this is given")
    p.add_argument("--endpoint-url", help="endpoint of every AWS service (emulators)")
    p.add_argument("--sqs-endpoint-url", help="endpoint of SQS only (overrides --endpoint-url)")
    p.add_argument("--lambda-endpoint-url", help="endpoint of Lambda only (overrides --endpoint-url)")
    p.add_argument("--visibility-timeout", type=int, default=120,
                   help="seconds a read message stays hidden from other readers (default 120)")
    p.add_argument("--invoke-timeout", type=int, default=60, help="seconds to wait for Lambda's answer (default 60)")
    p.add_argument("--wait-seconds", type=int, default=1,
                   help="long-poll time of each read; the queue counts as drained after one empty read (default 1)")
    args = p.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress and KEPT lines in their order
    if args.max is not None and args.max < 1:
        p.error("--max must be at least 1")

    session = boto3.session.Session(region_name=args.region)
    sqs_endpoint = args.sqs_endpoint_url or args.endpoint_url
    url = queue_url(args, session)
    sqs = session.client("sqs", endpoint_url=sqs_endpoint)
    lambdas = {}
    redriven, failed, seen = 0, 0, set()
    held = []  # receipt handles to make visible again (dry run, failures)
    mode = "dry run: " if args.dry_run else ""
    try:
        while args.max is None or redriven + failed < args.max:
            want = SQS_BATCH if args.max is None else min(SQS_BATCH, args.max - redriven - failed)
            batch = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=want,
                WaitTimeSeconds=args.wait_seconds,
                VisibilityTimeout=args.visibility_timeout,
            ).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                break
            for m in fresh:
                seen.add(m["MessageId"])
                try:
                    target = parse_record(m["Body"])
                    if args.dry_run:
                        print(f"{mode}would invoke {target.describe()} for message {m['MessageId']}")
                        held.append(m["ReceiptHandle"])
                        redriven += 1
                        continue
                    invoke(lambdas, session, args, target)
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    print(f"redriven {target.describe()}: message {m['MessageId']} deleted")
                    redriven += 1
                except RedriveError as e:
                    print(f"KEPT message {m['MessageId']}: {e}", file=sys.stderr)
                    held.append(m["ReceiptHandle"])
                    failed += 1
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        print(f"redrive: queue {url}: {e}", file=sys.stderr)
        return 2
    finally:
        # What was only looked at, or could not be redriven, is visible again at once.
        for handle in held:
            try:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                print(f"redrive: could not release a message (visible again in "
                      f"{args.visibility_timeout} s): {e}", file=sys.stderr)
    verb = "would redrive" if args.dry_run else "redriven"
    print(f"{mode}{verb} {redriven}, kept {failed} (queue {url})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
