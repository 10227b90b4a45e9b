"""Local simulation of the platform: the template on moto, the real handlers, a real PostgreSQL."""
