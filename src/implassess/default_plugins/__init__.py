"""Built-in behaviour, registered through the same hooks a third party uses."""
