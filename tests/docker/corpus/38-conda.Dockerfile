FROM continuumio/miniconda3:24.4.0-0
COPY environment.yml /tmp/
RUN conda env create -f /tmp/environment.yml && conda clean -afy
RUN pip install mlflow
USER 1000
