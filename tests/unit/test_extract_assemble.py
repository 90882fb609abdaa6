

def test_extract_assemble_field_source_tie_is_decided_the_same_in_every_process() -> None:
    """Half model, half rule words: the source must not depend on the process's string hashing."""
    import subprocess
    import sys

    code = (
        "from tillroll.document import Word; from tillroll.extract.assemble import _source;"
        "ws=[Word(0,0,'CAFE',(0,0,1,1),label_source='model'),Word(1,0,'LUNA',(1,0,2,1),label_source='rule')];"
        "print(_source(ws))"
    )
    seen = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": str(seed)}, check=True).stdout.strip()
        for seed in range(6)
    }
    assert seen == {"rule"}
