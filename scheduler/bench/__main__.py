import sys

from scheduler.bench import main

sys.exit(main())
