"""What the benchmark reads from /proc: gunicorn's workers and the CPU they used."""

from pathlib import Path

from bench.servers import children_of, cpu_seconds_of, cpu_used_between, parent_of, workers_cpu_seconds

# utime 250 and stime 50 ticks; the command name holds spaces and parentheses, as process titles may.
WORKER_STAT = "4242 (gunicorn: worker [a) b]) S 4200 4200 4200 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 1 0 1 1 1"


def _proc(tmp_path: Path, stats: dict[int, str]) -> Path:
    for pid, stat in stats.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(stat)
    (tmp_path / "self").mkdir()
    return tmp_path


def test_a_stat_line_is_read_after_the_command_name():
    assert parent_of(WORKER_STAT) == 4200
    assert cpu_seconds_of(WORKER_STAT, ticks_per_second=100) == 3.0


def test_the_workers_are_the_masters_children(tmp_path):
    other = WORKER_STAT.replace("4242 (", "4300 (").replace(" S 4200 ", " S 1 ")
    proc = _proc(tmp_path, {4242: WORKER_STAT, 4243: WORKER_STAT.replace("4242", "4243"), 4300: other})
    assert children_of(4200, proc=proc) == [4242, 4243]
    assert set(workers_cpu_seconds(4200, proc=proc)) == {4242, 4243}


def test_cpu_between_two_readings_counts_a_new_worker_in_full():
    before = {1: 2.0, 2: 1.0}
    after = {1: 2.5, 2: 1.25, 3: 0.5}
    assert cpu_used_between(before, after) == 1.25
