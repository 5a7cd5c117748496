"""Serve a custom resource as soon as its CustomResourceDefinition is stored."""

from __future__ import annotations

from pixelproof_localcluster.resources import CRD_GROUP, CRD_PLURAL, ResourceSpec
from pixelproof_localcluster.store import ObjectStore, WatchEvent


def attach(store: ObjectStore) -> None:
    def on_change(spec: ResourceSpec, event: WatchEvent) -> None:
        if spec.storage_key != (CRD_GROUP, CRD_PLURAL):
            return
        name = event.object["metadata"]["name"]
        if event.type == "DELETED":
            served = store.registry.specs_of_crd(name)
            if served:
                store.drop_all(served[0])
            store.registry.remove_crd(name)
        else:
            store.registry.add_crd(event.object)

    store.add_listener(on_change)
