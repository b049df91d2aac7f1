#!/usr/bin/env python3
"""The test of scripts/redrive.py, run by scripts/smoke-lambda.sh against the emulators it
started: moto (S3, SQS) and `cargo lambda watch` serving capture-ingest's Invoke API.

    redrive-check.py MOTO_URL BUCKET CAPTURE_INGEST_URL WORK_DIR

WORK_DIR/expect.json holds the smoke test's capture object (`capture_key`) and the state keys
capture-ingest wrote for it (`capture_state_keys`). This puts a Lambda on-failure record of
capture-ingest into an SQS queue, whose requestPayload is the S3 event of a copy of that
object, then checks that:

1. `--dry-run` names the function, invokes nothing and leaves the message in the queue;
2. a redrive invokes capture-ingest with the original event (its state objects for the copy
   appear in the bucket) and deletes the message;
3. a message that is not an on-failure record is kept (visible again) and the exit status is 1;
4. `--stack` finds the stack's FailedInvocationsQueue through CloudFormation.

Prints one `CODE<TAB>CHECK` line per check (0 passed, 1 failed), as smoke-lambda.sh's other
checks do, and never skips: an emulator that does not answer fails the checks.
"""

import json
import os
import subprocess
import sys
from urllib.parse import quote_plus

import boto3
from botocore.config import Config

moto_url, bucket, lambda_url, work = sys.argv[1:5]
here = os.path.dirname(os.path.abspath(__file__))
creds = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
kw = dict(endpoint_url=moto_url, region_name="us-east-1", **creds)
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw)
sqs = boto3.client("sqs", **kw)
exp = json.load(open(os.path.join(work, "expect.json")))


def check(ok: bool, what: str, detail: str = "") -> None:
    print(f"{0 if ok else 1}\t{what}" + (f" ({detail})" if detail and not ok else ""), flush=True)


def messages(q: str) -> int:
    """Messages in the queue, visible or not."""
    a = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def exists(key: str) -> bool:
    try:
        return s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    except s3.exceptions.ClientError:
        return False


def redrive(q: str | None, *args: str) -> tuple[int, str]:
    """Runs scripts/redrive.py as an operator would, with the emulators' endpoints, on the
    queue `q` (None: args name it)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_EC2_METADATA_DISABLED="true")
    cmd = [sys.executable, os.path.join(here, "redrive.py"), *(["--queue-url", q] if q else []),
           "--region", "us-east-1", "--sqs-endpoint-url", moto_url, "--lambda-endpoint-url", lambda_url, *args]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    out = p.stdout + p.stderr
    print(f"scripts/redrive.py {' '.join(args)}: rc {p.returncode}", file=sys.stderr)
    for line in out.splitlines():
        print(f"  | {line}", file=sys.stderr)
    return p.returncode, out


# the failed event: capture-ingest's S3 event for a copy of the smoke test's capture object
stem = "redriven"
key = exp["capture_key"].replace("demo file.jsonl", f"{stem}.jsonl")
assert key != exp["capture_key"], "the smoke capture key changed; update redrive-check.py"
state_keys = [k.replace("demo file", stem) for k in exp["capture_state_keys"]]
s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": exp["capture_key"]})
event = json.load(open(os.path.join(here, "..", "events", "s3-capture-put.json")))
event["Records"][0]["s3"]["bucket"]["name"] = bucket
event["Records"][0]["s3"]["object"]["key"] = quote_plus(key)  # S3 form-encodes event keys
record = {  # Lambda's on-failure destination record (docs/runbook.md)
    "version": "1.0",
    "timestamp": "2026-11-01T03:13:05.000Z",
    "requestContext": {
        "requestId": "9a1b0000-0000-4000-8000-000000000001",
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:capture-ingest:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    },
    "requestPayload": event,
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
    "responsePayload": {"errorType": "Transient", "errorMessage": "s3 GetObject: SlowDown"},
}
q = sqs.create_queue(QueueName="modelwatch-smoke-failures")["QueueUrl"]
sqs.send_message(QueueUrl=q, MessageBody=json.dumps(record))

# 1. dry run
rc, out = redrive(q, "--dry-run")
check(rc == 0 and "would invoke capture-ingest" in out, "--dry-run names the function", out[-300:])
check(messages(q) == 1, "--dry-run leaves the message in the queue")
check(len(state_keys) == 2 and not any(exists(k) for k in state_keys), "--dry-run invokes nothing")

# 2. redrive
rc, out = redrive(q, "--max", "5")
check(rc == 0 and "redriven 1, kept 0" in out, "redrive invokes and reports", out[-300:])
check(all(exists(k) for k in state_keys),
      "capture-ingest processed the original event (its state objects of the copy exist)",
      ", ".join(k for k in state_keys if not exists(k)))
check(messages(q) == 0, "the redriven message is deleted")

# 3. a message that is not an on-failure record
sqs.send_message(QueueUrl=q, MessageBody=json.dumps({"hello": 1}))
rc, out = redrive(q)
check(rc == 1 and "not a Lambda on-failure record" in out, "a foreign message is reported, rc 1", out[-300:])
check(messages(q) == 1, "a foreign message stays in the queue")

# 4. --stack: the queue of a (moto) CloudFormation stack, by its logical id in template.yaml
cfn = boto3.client("cloudformation", **kw)
cfn.create_stack(StackName="mw-smoke", TemplateBody=json.dumps(
    {"Resources": {"FailedInvocationsQueue": {"Type": "AWS::SQS::Queue"}}}))
stack_q = cfn.describe_stack_resource(StackName="mw-smoke", LogicalResourceId="FailedInvocationsQueue")[
    "StackResourceDetail"]["PhysicalResourceId"]
sqs.send_message(QueueUrl=stack_q, MessageBody=json.dumps(record))
rc, out = redrive(None, "--stack", "mw-smoke", "--endpoint-url", moto_url, "--dry-run")
check(rc == 0 and "would invoke capture-ingest" in out and "mw-smoke-FailedInvocationsQueue" in out,
      "--stack finds the stack's failure queue", out[-300:])
rc, out = redrive(None, "--stack", "no-such-stack", "--endpoint-url", moto_url, "--dry-run")
check(rc == 2 and "no-such-stack" in out, "an unknown stack is a clear error, rc 2", out[-300:])
