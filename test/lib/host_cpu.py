"""The host CPU's feature flags, without NumPy: test/lit.cfg.py reads them
to set lit features before it knows whether NumPy is there."""


def cpu_flags():
    """The host CPU's feature flags from /proc/cpuinfo (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((l.split(":", 1)[1].split() for l in f
                         if l.startswith("flags")), [])
    except OSError:
        return []
