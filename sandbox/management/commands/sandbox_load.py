from django.core.management.base import BaseCommand, CommandError

from sandbox.scenarios import ScenarioError, sandbox_is_empty, scenario_load_file


class Command(BaseCommand):
    help = "Load a sandbox scenario (JSON): upsert by id, all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="scenario file, e.g. sandbox/scenarios/demo.json")
        parser.add_argument("--reset", action="store_true", help="remove every sandbox row first")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the sandbox holds data")

    def handle(self, *args, file: str, reset: bool, if_empty: bool, **options) -> str:
        if if_empty and not reset and not sandbox_is_empty():
            return "Sandbox already holds data; nothing loaded."
        try:
            summary = scenario_load_file(file, reset=reset)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        except ScenarioError as error:
            raise CommandError("Invalid scenario, nothing applied:\n  " + "\n  ".join(error.problems)) from None
        return f"Loaded {summary}."
