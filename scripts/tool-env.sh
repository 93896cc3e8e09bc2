# Sourced by test and bench scripts: the tools they run, each overridable
# from the environment. Debian's python3 has torch and onnx; the default
# python3 on PATH may not.
if [ -z "${NODE:-}" ]; then
  if [ -x /usr/bin/node ]; then NODE=/usr/bin/node; else NODE=node; fi
fi
if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
MPIRUN=${MPIRUN:-mpirun}
MPIRUN_FLAGS=${MPIRUN_FLAGS:---allow-run-as-root --oversubscribe}
