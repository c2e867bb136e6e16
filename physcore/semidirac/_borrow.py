"""Borrowed array views: the per-point kernels' work arrays without reference counting.

numba counts references to every array it passes between compiled functions or unpacks from
a tuple, with an atomic increment and decrement (``NRT_incref`` / ``NRT_decref``). In the
per-point kernel (:func:`._kernels.solve_point`) each of the ~40 work arrays is passed down
several stages for every (E, q) point, and these atomic operations took a quarter of its time
(measured with ``perf``: two instructions, the locked add of each, held 25% of the samples).
A *borrowed* view has the same data, shape and strides but no owner (a null ``meminfo``), so
numba's reference counting skips it after a null test.

The price is the usual one of a borrowed reference: the owner must outlive the view. Here the
grid kernels allocate a row's work arrays in the caller and pass them down, so they live for
the whole call in which the views are used; a view is never returned to Python or stored.
"""

from __future__ import annotations

from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["borrowed"]


@intrinsic
def borrowed(typingctx, array):
    """A view of ``array`` (same data, shape, strides and type) that holds no reference to
    it. The caller keeps the owner alive while the view is used."""
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        source = context.make_array(signature.args[0])(context, builder, args[0])
        view = context.make_array(signature.return_type)(context, builder)
        context.populate_array(
            view,
            data=source.data,
            shape=source.shape,
            strides=source.strides,
            itemsize=source.itemsize,
            meminfo=cgutils.get_null_value(source.meminfo.type),
            parent=cgutils.get_null_value(source.parent.type),
        )
        return view._getvalue()

    return array(array), codegen
