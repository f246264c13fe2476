# The demo image copy that make demo creates (relative to the repository root).
root_dir = "example/out/root"
