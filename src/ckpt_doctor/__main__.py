import sys

from .cli import main

if __name__ == "__main__":  # `python -m ckpt_doctor`; importing this module (doctest collection) runs nothing
    sys.exit(main())
