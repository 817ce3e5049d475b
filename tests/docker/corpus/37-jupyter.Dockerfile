FROM jupyter/base-notebook
USER root
RUN apt-get update && apt-get install -y --no-install-recommends graphviz
USER ${NB_UID}
RUN pip install seaborn plotly==5.22.0
ADD notebooks /home/jovyan/work
