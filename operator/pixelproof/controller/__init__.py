"""The operator: kopf handlers that observe the cluster, ask the engine, and apply its actions."""
