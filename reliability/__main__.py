from reliability.run import main

raise SystemExit(main())
