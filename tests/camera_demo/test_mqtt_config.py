"""--mqtt URLs: what they mean, and one-line errors (exit code 2) for bad ones."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from camera_demo.mqtt import default_prefix, discovery_config, parse_mqtt_url
from edgecnn.cli import app


def test_a_full_url():
    cfg = parse_mqtt_url("mqtt://me:p%40ss@127.0.0.1:1884/home/meter/")
    assert (cfg.host, cfg.port, cfg.prefix) == ("127.0.0.1", 1884, "home/meter")
    assert (cfg.username, cfg.password, cfg.tls) == ("me", "p@ss", False)
    assert cfg.reading_topic == "home/meter/reading" and cfg.status_topic == "home/meter/status"
    assert "p@ss" not in repr(cfg) and "p@ss" not in cfg.url()


def test_defaults_port_prefix_and_tls(tmp_path):
    cfg = parse_mqtt_url("mqtt://broker")
    assert cfg.port == 1883 and cfg.prefix == default_prefix(socket.gethostname())
    assert cfg.prefix.startswith("edgecnn/") and "." not in cfg.prefix
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    tls = parse_mqtt_url(f"mqtts://broker/p?ca={ca}")
    assert tls.tls and tls.port == 8883 and tls.ca_file == ca
    assert default_prefix("pi.local") == "edgecnn/pi" and default_prefix("a b") == "edgecnn/a_b"


@pytest.mark.parametrize(
    "url",
    [
        "http://broker",
        "mqtt://",
        "mqtt://broker:99999",
        "mqtt://broker:port",
        "mqtt://broker/a/#",
        "mqtt://broker/a/+/b",
        "mqtt://broker/a//b",
        "mqtt://broker?qos=2",
        "mqtt://broker?ca=/x",
        "mqtts://broker?ca=/no/such/file",
    ],
)
def test_bad_urls_are_value_errors(url):
    with pytest.raises(ValueError, match="--mqtt"):
        parse_mqtt_url(url)


def test_the_cli_refuses_a_bad_url_in_one_line_with_exit_2():
    result = CliRunner().invoke(app, ["camera", "--headless", "--mqtt", "tcp://broker"])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "--mqtt" in result.stderr
    assert "Traceback" not in result.output


def test_home_assistant_discovery_describes_one_sensor():
    cfg = parse_mqtt_url("mqtt://broker/edgecnn/pi", ha_discovery=True)
    assert cfg.discovery_topic == "homeassistant/sensor/edgecnn_pi/reading/config"
    sensor = discovery_config(cfg, "1.2.3")
    assert sensor["state_topic"] == "edgecnn/pi/reading"
    assert sensor["availability_topic"] == "edgecnn/pi/status"
    assert sensor["value_template"] == "{{ value_json.text }}"
    assert sensor["unique_id"] == "edgecnn_pi_reading"
    assert sensor["device"]["identifiers"] == ["edgecnn_pi"]
    assert sensor["device"]["sw_version"] == "1.2.3"
