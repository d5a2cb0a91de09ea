"""Call one function inside a configured Django process and write its JSON answer to a file.

    python -m bench.django_call OUT.json module:function [JSON-ARGS]

Used by bench/run.py for everything that needs the ORM (setting up users and tokens, counting rows,
the database benchmarks of bench/db_benchmarks.py), so the harness itself never imports Django.
A function that cannot be imported is answered ``{"available": false, "error": ...}``: the results
then say "not available" instead of the run failing.
"""

import importlib
import json
import os
import sys
import traceback


def main(argv: list[str]) -> int:
    out, target = argv[0], argv[1]
    kwargs = json.loads(argv[2]) if len(argv) > 2 else {}
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    module_name, _, function_name = target.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as error:
        answer = {"available": False, "error": f"{type(error).__name__}: {error}"}
    else:
        try:
            answer = function(**kwargs)
        except Exception as error:
            traceback.print_exc()
            answer = {"available": True, "failed": True, "error": f"{type(error).__name__}: {error}"}
    with open(out, "w") as handle:
        json.dump(answer, handle, default=str)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main(sys.argv[1:]))
