"""tf.nest: nested structures of lists, tuples, namedtuples and dicts (dicts in sorted key order);
everything else, None and strings included, is a leaf."""


def is_nested(seq):
    return isinstance(seq, (list, tuple, dict))


def flatten(structure, expand_composites=False):
    """The leaves of `structure`, depth first."""
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [x for item in structure for x in flatten(item)]
    return [structure]


def _pack(s, it):
    if isinstance(s, dict):
        packed = {k: _pack(s[k], it) for k in sorted(s)}
        return type(s)((k, packed[k]) for k in s)
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)(*[_pack(item, it) for item in s])
    if isinstance(s, (list, tuple)):
        return type(s)(_pack(item, it) for item in s)
    return next(it)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """`structure` with its leaves replaced, in order, by those of `flat_sequence`."""
    flat_sequence = list(flat_sequence)
    n = len(flatten(structure))
    if n != len(flat_sequence):
        raise ValueError(f"pack_sequence_as: the structure has {n} leaves but flat_sequence has "
                         f"{len(flat_sequence)} elements")
    return _pack(structure, iter(flat_sequence))


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    def shape_of(s):
        if isinstance(s, dict):
            return (type(s) if check_types else dict, tuple((k, shape_of(s[k])) for k in sorted(s)))
        if isinstance(s, (list, tuple)):
            kind = type(s) if check_types else "sequence"  # list and tuple alike
            return (kind, tuple(shape_of(x) for x in s))
        return None
    if shape_of(nest1) != shape_of(nest2):
        raise ValueError(f"The two structures don't have the same nested structure: {nest1!r} "
                         f"and {nest2!r}")


def map_structure(func, *structure, **kwargs):
    """func applied to the leaves of the structures (which must match), in their structure."""
    if not structure:
        raise ValueError("map_structure: at least one structure is needed")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise TypeError(f"map_structure: unexpected keyword arguments {sorted(kwargs)}")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*xs) for xs in zip(*flats)])
