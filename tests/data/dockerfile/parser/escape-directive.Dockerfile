# escape=`
FROM windows
COPY testfile.txt c:\
RUN dir c:\ `
    && echo done
WORKDIR c:\app
