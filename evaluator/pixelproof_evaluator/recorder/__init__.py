"""The prompt recorder: a sink for mirrored live generate requests that keeps a bounded,
redacted, de-duplicated sample of recent prompts for live evaluation to replay."""
