FROM python
RUN pip install numpy pandas
CMD ["python"]
