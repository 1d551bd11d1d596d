"""``banwen serve`` (the web server, jobs in-process by default) and ``banwen worker`` (jobs only)."""

from __future__ import annotations

import asyncio
import signal
import threading

import click

from runtime.cli.common import run, settings


@click.command()
@click.option("--host", default=None, help="监听地址（默认 127.0.0.1）/ address to listen on.")
@click.option("--port", default=None, type=int, help="端口（默认 8000）/ port.")
@click.option("--no-jobs", is_flag=True, help="不在本进程运行后台任务（另起 banwen worker）/ run jobs in banwen worker instead.")
def serve(host: str | None, port: int | None, no_jobs: bool) -> None:
    """启动网页服务。 / Serve the web application."""
    import uvicorn

    from runtime.app import create_app

    s = settings()

    async def check(_s) -> None:  # fail early, with a clear message, on an uninitialised database
        return None

    run(check, s=s)
    app = create_app(s, jobs_in_process=not no_jobs)
    click.echo(f"办文已启动 / Banwen is serving on http://{host or s.host}:{port or s.port}")
    # The client address decides the allowlist, the lock-out and what the audit trail records: only a
    # proxy named in BANWEN_TRUSTED_PROXIES may say who the client is (X-Forwarded-For).
    proxies = {"proxy_headers": True, "forwarded_allow_ips": list(s.trusted_proxies)} if s.trusted_proxies \
        else {"proxy_headers": False}
    uvicorn.run(app, host=host or s.host, port=port or s.port, log_level="info", **proxies)


@click.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="工作线程数 / worker threads.")
def worker(workers: int) -> None:
    """只运行后台任务（扩展部署时与 serve --no-jobs 配合）。 / Run background jobs only (scale-out)."""
    from tortoise import Tortoise

    from runtime import db
    from runtime.jobs import Jobs, LoopRunner, create_huey

    s = settings()
    run(lambda _s: asyncio.sleep(0), s=s)  # the schema must exist
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def loop_thread() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(Tortoise.init(config=db.tortoise_config(s.database_url),
                                              _enable_global_fallback=True))
        ready.set()
        loop.run_forever()

    threading.Thread(target=loop_thread, name="banwen-db-loop", daemon=True).start()
    ready.wait(30)
    jobs = Jobs(create_huey(s), LoopRunner(loop), heads_dir=s.data_dir / "audit-heads", sweep_seconds=s.sweep_seconds)
    consumer = jobs.start_consumer(workers)
    click.echo(f"后台任务已启动（{workers} 个线程）/ worker running with {workers} thread(s); Ctrl-C to stop.")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    consumer.stop(graceful=True)
    asyncio.run_coroutine_threadsafe(Tortoise.close_connections(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
