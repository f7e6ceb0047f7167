"""The sync side of aiocustomerio: ``SyncCustomerIO`` and the blocking ingestors, for code without an event loop."""
