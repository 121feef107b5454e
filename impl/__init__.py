"""Hand-written implementation of the contract: services, persistence, security, app wiring."""
