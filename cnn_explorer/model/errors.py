"""Typed errors of the design model. Shape problems are never raised: they are data (Problem)."""


class DesignError(Exception):
    """Base of every error the model raises for a bad request."""


class ParameterError(DesignError, ValueError):
    """A block parameter (or run setting) has a value that is not allowed."""

    def __init__(self, block: str, field: str, allowed: str, value: object = None) -> None:
        self.block, self.field, self.allowed, self.value = block, field, allowed, value
        got = "" if value is None else f" (got {value!r})"
        super().__init__(f"{block}: {field} must be {allowed}{got}")


class UnknownBlockError(DesignError, KeyError):
    def __init__(self, block_id: str) -> None:
        self.block_id = block_id
        super().__init__(block_id)

    def __str__(self) -> str:
        return f"no block with id {self.block_id!r}"


class UnknownKindError(DesignError, ValueError):
    """A block kind that the palette does not know."""


class CycleError(DesignError):
    """The connection would make a cycle; networks here are acyclic."""


class PortTakenError(DesignError):
    """The input port already has a connection (an input port takes exactly one)."""


class PortError(DesignError):
    """A port index that the block does not have."""


class DesignFileError(DesignError):
    """A design file that cannot be read; the message says why and where."""
