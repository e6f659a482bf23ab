"""Order promising and fulfilment: where each order ships from, and when it arrives."""
