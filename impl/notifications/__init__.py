"""Durable notification e-mails: an outbox written with the request, delivered in-process or by `make worker`."""
