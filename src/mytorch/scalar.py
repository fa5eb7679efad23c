"""TODO: the teaching Scalar."""


class Scalar:
    pass
