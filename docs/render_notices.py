"""The pictures of printed pages in the README: a program's flyer (A4) and a
volunteer's certificate of hours, made from the demo data through the site's
own routes, as a center's staff member and a volunteer would print them, then
drawn by poppler at 60 dpi (small files, still readable).

    .venv/bin/python docs/render_notices.py
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SMS_LINE = "30004040"  # the demo's SMS line, as `make run` sets it


def picture(data, name):
    """A PDF's first page as docs/<name>.png."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "page.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf, DOCS / name], check=True
        )
    return DOCS / f"{name}.png"


def main():
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    from demo_site import demo_database

    demo_database("docs")
    import models
    from app import create_app

    app = create_app({"WTF_CSRF_ENABLED": False, "RATE_LIMITS": False, "SMS_NUMBER": SMS_LINE})
    with models.db.connection_context():
        staff = models.User.by_phone("09120000004")
        volunteer = models.User.by_phone("09120000002")
        program = models.Program.get(models.Program.form_key == "demo-program-1")

    client = app.test_client()
    assert client.post("/account/sign-in", data={"phone": staff.phone, "pin": "2580"}).status_code == 302
    flyer = client.get(f"/centers/programs/{program.id}/flyer.pdf")
    assert flyer.status_code == 200
    print(picture(flyer.data, "flyer"))

    client = app.test_client()
    assert client.post("/account/sign-in", data={"phone": volunteer.phone, "pin": "2580"}).status_code == 302
    issued = client.post(f"/certificates/people/{volunteer.id}", data={"period": "all", "form_key": "docs"})
    assert issued.status_code == 302, issued.get_data(as_text=True)[:500]
    certificate = client.get(issued.location)
    assert certificate.status_code == 200
    print(picture(certificate.data, "certificate"))


if __name__ == "__main__":
    main()
