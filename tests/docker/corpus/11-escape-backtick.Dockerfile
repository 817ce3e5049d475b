# escape=`
FROM python:3.11-windowsservercore
RUN pip install --no-cache-dir `
    pyyaml
USER ContainerUser
