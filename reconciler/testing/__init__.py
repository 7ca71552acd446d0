"""The testing kit: an embedded Redis, the embedded API server and in-memory fakes.

The library never imports this package; it imports the library."""
