"""The review page's local web server (Starlette, served by uvicorn on 127.0.0.1).

Every asset is in the package (``kmipd/review/static``): the page works offline. The server
keeps no state of the page's own: each request carries the whole edited state, and
:class:`~kmipd.review.session.ReviewSession` answers it.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from kmipd.errors import KmipdError
from kmipd.review.session import ReviewSession

STATIC = Path(__file__).with_name("static")


def make_app(session: ReviewSession):
    """The Starlette application serving ``session``."""
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    async def index(request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def figure(request):
        return Response(session.figure_png, media_type="image/png")

    async def state(request):
        return JSONResponse({"state": session.state, "outdir": str(session.outdir),
                             "reported": session.reported is not None, "edits": session.edits,
                             "result": session.rebuild(session.state)})

    async def rebuild(request):
        return JSONResponse(session.rebuild(await request.json()))

    async def save(request):
        edited = await request.json()
        try:
            files = session.save(edited)
        except KmipdError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse({"error": None, "files": sorted(p.name for p in files.values()),
                             "edits": session.edits})

    async def trace(request):
        from kmipd.review.trace import trace_colour

        body = await request.json()
        points = trace_colour(session.figure_rgb, body["box"], body["x"], body["y"],
                              masks=body.get("masks") or [])
        return JSONResponse({"points": points})

    return Starlette(routes=[
        Route("/", index), Route("/figure.png", figure), Route("/api/state", state),
        Route("/api/rebuild", rebuild, methods=["POST"]), Route("/api/save", save, methods=["POST"]),
        Route("/api/trace", trace, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])


class ReviewServer:
    """The review page served on ``127.0.0.1`` in a background thread.

    Parameters
    ----------
    session : ReviewSession
    port : int
        0 (default) takes a free port.

    Attributes
    ----------
    url : str
        The page's address, once :meth:`start` returned.
    """

    def __init__(self, session: ReviewSession, port: int = 0) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(("127.0.0.1", port))
        except OSError as exc:
            raise KmipdError(f"port {port} is in use ({exc.strerror}): give another with --port, "
                             "or 0 for any free one.") from None
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/"
        config = uvicorn.Config(make_app(session), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       daemon=True)

    def start(self) -> ReviewServer:
        """Serve in the background; return when the server accepts requests."""
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            self.thread.join(0.05)
        raise KmipdError("the review server did not start within 10 s.")

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C stops it)."""
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            self.stop()
